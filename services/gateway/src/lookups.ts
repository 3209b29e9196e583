import { getProject, getWorkflow, type DbOrTx, type ProjectRow, type WorkflowRow } from '@stagecoach/db';
import { NotFoundError } from '@stagecoach/platform';

/** The project, or 404 naming it. Every API surface (REST, OpenAPI, gRPC) looks projects up this way. */
export async function findProject(db: DbOrTx, project: string): Promise<ProjectRow> {
  const row = await getProject(db, project);
  if (!row) throw new NotFoundError(`project "${project}" not found`);
  return row;
}

/** The workflow, or 404 naming it. */
export async function findWorkflow(db: DbOrTx, project: string, name: string): Promise<WorkflowRow> {
  const row = await getWorkflow(db, project, name);
  if (!row) throw new NotFoundError(`workflow "${project}/${name}" not found`);
  return row;
}
