import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '@stagecoach/contracts';
import { registerSearchAttributes } from './search-attributes.js';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const CLI = fileURLToPath(new URL('./search-attributes-cli.ts', import.meta.url));

let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
});
afterAll(async () => {
  await connection?.close();
});

/** A namespace of its own, ready once the frontend's namespace cache knows it. */
async function freshNamespace(): Promise<string> {
  const namespace = `sa-${randomBytes(4).toString('hex')}`;
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: proto.google.protobuf.Duration.fromObject({ seconds: 24 * 3600 }),
  });
  for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 200))) {
    try {
      await connection.operatorService.listSearchAttributes({ namespace });
      return namespace;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

async function customAttributes(namespace: string): Promise<Record<string, number>> {
  return (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
}

/** The command a Helm hook runs: same process shape, its own environment. */
async function runCli(namespace: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI], {
      env: { ...process.env, TEMPORAL_NAMESPACE: namespace },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('register-search-attributes against a real Temporal server', () => {
  it('registers every attribute runs carry, with its type, and a second run changes nothing', async () => {
    const namespace = await freshNamespace();
    const before = await customAttributes(namespace);
    for (const { name } of SEARCH_ATTRIBUTES) expect(before).not.toHaveProperty(name);

    const first = await runCli(namespace);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`added ${SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')}`);
    const after = await customAttributes(namespace);
    expect(after).toMatchObject({
      StagecoachProject: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      StagecoachWorkflow: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      StagecoachRunNumber: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      StagecoachCreator: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      StagecoachStatus: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    });

    const second = await runCli(namespace);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('nothing to add');
    expect(await customAttributes(namespace)).toEqual(after);
  });

  it('adds only what is missing', async () => {
    const namespace = await freshNamespace();
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { StagecoachProject: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });
    const result = await registerSearchAttributes(connection, namespace);
    expect(result.present).toEqual(['StagecoachProject']);
    expect(result.added).toEqual(SEARCH_ATTRIBUTES.map((k) => k.name).filter((n) => n !== 'StagecoachProject'));
    expect(await customAttributes(namespace)).toMatchObject({
      StagecoachProject: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      StagecoachRunNumber: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    });
  });

  it('an attribute registered with another type fails naming it, and nothing is added', async () => {
    const namespace = await freshNamespace();
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { StagecoachRunNumber: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });
    const failed = await runCli(namespace);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`search attributes of Temporal namespace "${namespace}" conflict`);
    expect(failed.stderr).toContain('StagecoachRunNumber is registered as KEYWORD, Stagecoach needs INT');
    const attrs = await customAttributes(namespace);
    expect(Object.keys(attrs).filter((n) => n.startsWith('Stagecoach'))).toEqual(['StagecoachRunNumber']);
  });

  it('a name taken by a system attribute is a conflict too', async () => {
    const namespace = await freshNamespace();
    const key = defineSearchAttributeKey('WorkflowType', SearchAttributeType.INT);
    await expect(registerSearchAttributes(connection, namespace, [key])).rejects.toThrow(
      'WorkflowType is a system search attribute of type KEYWORD',
    );
  });

  it('the dev server the test stack starts has them all already (packages/stack passes the same list)', async () => {
    const result = await registerSearchAttributes(connection, 'default');
    expect(result.added).toEqual([]);
    expect(result.present).toEqual(SEARCH_ATTRIBUTES.map((k) => k.name));
  });

  it('a namespace that does not exist is named in the error', async () => {
    const failed = await runCli(`missing-${randomBytes(4).toString('hex')}`);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Temporal namespace "missing-[0-9a-f]+" does not exist/);
  });
});
