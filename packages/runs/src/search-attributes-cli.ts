import { Connection } from '@temporalio/client';
import { commonSettings, loadConfig } from '@stagecoach/platform';
import { registerSearchAttributes } from './search-attributes.js';

// `npm -w @stagecoach/runs run register-search-attributes`: registers the custom search attributes runs
// carry in TEMPORAL_NAMESPACE at TEMPORAL_ADDRESS. For production clusters (the Helm chart's setup hook
// runs it); `temporal server start-dev` gets them as flags instead. Running it again changes nothing.
const config = loadConfig({
  temporalAddress: commonSettings.temporalAddress,
  temporalNamespace: commonSettings.temporalNamespace,
});
const connection = await Connection.connect({ address: config.temporalAddress });
try {
  const { namespace, added, present } = await registerSearchAttributes(connection, config.temporalNamespace);
  console.log(
    `search attributes of namespace ${namespace}: ${added.length > 0 ? `added ${added.join(', ')}` : 'nothing to add'}` +
      (present.length > 0 ? `; already registered: ${present.join(', ')}` : ''),
  );
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await connection.close();
}
