import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '@stagecoach/spec';
import { editedInputIssues } from './edited-inputs.js';

const frozen = (): WorkflowDefinition => ({
  name: 'wf',
  project: 'p',
  stages: [
    { name: 'build', jobs: [{ name: 'compile', type: 'freestyle', spec: { script: 'make' } }] },
    {
      name: 'deploy',
      manual_exec: { enabled: true, modify_params: true, manual_exec_users: [{ type: 'task_creator' }] },
      jobs: [
        { name: 'ship', type: 'freestyle', spec: { script: 'ship', advanced_setting: { timeout: 5 } } },
        { name: 'smoke', type: 'freestyle', spec: { script: 'smoke' } },
      ],
    },
  ],
});

describe('editedInputIssues', () => {
  it('accepts edits a save would accept, templates included', () => {
    expect(
      editedInputIssues(frozen(), 'deploy', {
        ship: { script: 'ship {{.job.compile.output.IMAGE}}', envs: [{ key: 'REGION', value: 'eu' }] },
      }),
    ).toEqual([]);
  });

  it('names each edited field a job could not run with, at inputs.<job>.<field>', () => {
    const issues = editedInputIssues(frozen(), 'deploy', {
      ship: { script: 123, advanced_setting: { timeout: 'abc' } },
      smoke: { envs: [{ key: 'A B', value: 'x' }] },
    });
    expect(issues.map((i) => i.path)).toEqual([
      'inputs.ship.script',
      'inputs.ship.advanced_setting.timeout',
      'inputs.smoke.envs[0].key',
    ]);
    expect(issues.every((i) => i.message.length > 0 && i.line === undefined)).toBe(true);
  });

  it('reports only what the edits bring, not what the frozen definition already had', () => {
    const definition = frozen();
    // A problem the run was started with (here a script that is no string) is not the resume's to answer for.
    definition.stages[0]!.jobs[0]!.spec = { script: 7 };
    expect(editedInputIssues(definition, 'deploy', { ship: { script: 'fine' } })).toEqual([]);
    expect(editedInputIssues(definition, 'deploy', { ship: { script: false } }).map((i) => i.path)).toEqual([
      'inputs.ship.script',
    ]);
  });

  it('names a job the stage does not hold at its own path, leaves stages it does not know to the run, and changes nothing it was given', () => {
    const definition = frozen();
    const before = structuredClone(definition);
    expect(editedInputIssues(definition, 'nowhere', { ship: { script: 1 } })).toEqual([]);
    expect(editedInputIssues(definition, 'deploy', { compile: { script: 1 }, ship: { script: 'ok' } })).toEqual([
      { path: 'inputs.compile', message: 'stage "deploy" has no job "compile"' },
    ]);
    editedInputIssues(definition, 'deploy', { ship: { script: 1 } });
    expect(definition).toEqual(before);
  });
});
