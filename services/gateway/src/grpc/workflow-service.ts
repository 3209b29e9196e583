import type { ServiceImpl } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { WorkflowRow } from '@stagecoach/db';
import type { WorkflowSchema, WorkflowService } from '@stagecoach/proto';
import type { GatewayDeps } from '../deps.js';
import { findWorkflow } from '../lookups.js';
import { listVisibleWorkflows, parseDefinition, saveWorkflow } from '../routes/workflows.routes.js';
import { callerOf } from './access.js';
import { atMost, checkRequest, key, required } from './validate.js';

function toWorkflow(row: WorkflowRow): MessageInitShape<typeof WorkflowSchema> {
  return {
    project: row.project,
    name: row.name,
    displayName: row.displayName,
    version: row.version,
    disabled: row.disabled,
    updatedBy: row.updatedBy,
    updatedAt: timestampFromDate(row.updatedAt),
    definitionJson: JSON.stringify(row.definition),
  };
}

/** WorkflowService: the REST workflow routes' operations (routes/workflows.routes.ts), over gRPC. */
export function workflowService(deps: GatewayDeps): ServiceImpl<typeof WorkflowService> {
  return {
    async putWorkflow(req, ctx) {
      checkRequest(
        key('project', req.project),
        key('name', req.name),
        required('definition', req.definition),
        atMost('view', req.view, 64),
      );
      const { row, existed } = await saveWorkflow(deps, {
        project: req.project,
        name: req.name,
        definition: parseDefinition(req.definition),
        user: callerOf(ctx).principal.username,
        view: req.view || undefined,
      });
      return { workflow: toWorkflow(row), created: !existed };
    },

    async getWorkflow(req) {
      checkRequest(key('project', req.project), key('name', req.name));
      return { workflow: toWorkflow(await findWorkflow(deps.db, req.project, req.name)) };
    },

    async listWorkflows(req, ctx) {
      checkRequest(key('project', req.project), atMost('view', req.view, 64));
      const rows = await listVisibleWorkflows(deps.db, req.project, req.view || undefined, callerOf(ctx).visibility);
      return { workflows: rows.map(toWorkflow) };
    },
  };
}
