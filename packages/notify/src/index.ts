export * from './should-notify.js';
export * from './sign.js';
export * from './content.js';
export * from './request.js';
export * from './send.js';
export * from './mail.js';
export * from './deliver.js';
export * from './lark-app.js';
