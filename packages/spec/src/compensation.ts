/** Release jobs whose cleanup, at the end of every run, removes what their deploy job left (Zadig's Clean()). */
export const COMPENSATING_JOB_TYPES: readonly string[] = ['k8s-canary-release', 'k8s-blue-green-release'];
