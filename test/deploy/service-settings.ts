// What each service reads: its main.ts's loadConfig({ ... }) argument, read from the source, so that a new
// setting in a service fails the deployment tests (Helm chart, docker-compose.yml) until they set it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as platform from '@stagecoach/platform';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVICES = ['gateway', 'trigger', 'worker', 'notifier'] as const;
/** Read by every service outside loadConfig: @stagecoach/platform's logger takes its level from it. */
export const LOGGER_SETTING = 'LOG_LEVEL';

export interface ReadSetting {
  key: string;
  /** no default in loadConfig: the service does not start without it */
  required: boolean;
}

export function settingsRead(service: string): ReadSetting[] {
  const file = join(ROOT, 'services', service, 'src', 'main.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const calls: ts.ObjectLiteralExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'loadConfig' &&
      node.arguments[0] &&
      ts.isObjectLiteralExpression(node.arguments[0])
    )
      calls.push(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (calls.length !== 1) throw new Error(`${file}: expected one loadConfig({ ... }) call, found ${calls.length}`);
  const shared = (name: string): Record<string, platform.Setting<unknown>> => {
    const value = (platform as Record<string, unknown>)[name];
    if (!value || typeof value !== 'object') throw new Error(`${file}: ${name} is not a settings object of platform`);
    return value as Record<string, platform.Setting<unknown>>;
  };
  const of = (s: platform.Setting<unknown>): ReadSetting => ({ key: s.key, required: s.default === undefined });
  const out: ReadSetting[] = [];
  for (const prop of calls[0]!.properties) {
    if (ts.isSpreadAssignment(prop) && ts.isIdentifier(prop.expression)) {
      out.push(...Object.values(shared(prop.expression.text)).map(of));
      continue;
    }
    if (ts.isPropertyAssignment(prop)) {
      const init = prop.initializer;
      if (ts.isPropertyAccessExpression(init) && ts.isIdentifier(init.expression)) {
        const setting = shared(init.expression.text)[init.name.text];
        if (setting) {
          out.push(of(setting));
          continue;
        }
      }
      const [key] = ts.isCallExpression(init) ? init.arguments : [];
      if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && key && ts.isStringLiteral(key)) {
        // str(key, description, default?) / int(...): a third argument is the default.
        out.push({ key: key.text, required: init.arguments.length < 3 });
        continue;
      }
    }
    throw new Error(`${file}: cannot tell which variable "${prop.getText(source)}" reads; teach this test`);
  }
  return out;
}
