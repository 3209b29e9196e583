export { createActivities, type ActivityDeps } from './create-activities.js';
