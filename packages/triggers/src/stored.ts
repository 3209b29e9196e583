import type { TriggerRow } from '@stagecoach/db';
import type { SecretBox } from '@stagecoach/platform';
import type { Param } from '@stagecoach/spec';

/** The secret fields of a stored trigger (webhook secret, API tokens). */
export function triggerSecrets(box: SecretBox, row: Pick<TriggerRow, 'sealedSecrets'>): Record<string, string> {
  return row.sealedSecrets ? (JSON.parse(box.open(row.sealedSecrets)) as Record<string, string>) : {};
}

/** The credential params of a stored trigger, opened. */
export function sealedTriggerParams(box: SecretBox, row: Pick<TriggerRow, 'sealedParams'>): Record<string, string> {
  return row.sealedParams ? (JSON.parse(box.open(row.sealedParams)) as Record<string, string>) : {};
}

/** The run arguments a trigger starts runs with, credential values included. */
export function triggerParams(
  box: SecretBox,
  row: Pick<TriggerRow, 'params' | 'sealedParams'>,
): Record<string, string> {
  return { ...row.params, ...sealedTriggerParams(box, row) };
}

/**
 * Splits run arguments for storage: values of the workflow's credential (`is_credential`) params are
 * sealed, the rest stay readable.
 */
export function splitParams(
  box: SecretBox,
  definitionParams: readonly Param[],
  params: Record<string, string>,
): { params: Record<string, string>; sealedParams: string | null } {
  const credential = new Set(definitionParams.filter((p) => p.is_credential).map((p) => p.name));
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) (credential.has(name) ? secret : plain)[name] = value;
  return { params: plain, sealedParams: Object.keys(secret).length > 0 ? box.seal(JSON.stringify(secret)) : null };
}

export function sealSecrets(box: SecretBox, secrets: Record<string, string>): string | null {
  return Object.keys(secrets).length > 0 ? box.seal(JSON.stringify(secrets)) : null;
}
