// Invokes one shipped Lambda bundle the way the Lambda runtime does: imports the
// module (a cold start), calls its `handler` with the event read from stdin and
// a Lambda context, and prints the result on a last line of its own (the
// bundle's logs go to stdout too). Plain JavaScript: it runs on whichever Node
// binary is under test, with nothing of the repository loaded.
//   node invoke-bundle.mjs <bundle index.mjs> <export name> <function name> < event.json
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const RESULT_MARKER = '@@invoke-bundle-result ';

const [bundle, exportName, functionName] = process.argv.slice(2);
const event = JSON.parse(readFileSync(0, 'utf8'));
const handler = (await import(pathToFileURL(bundle).href))[exportName];
if (typeof handler !== 'function') throw new Error(`${bundle} exports no function ${exportName}`);
const deadline = Date.now() + 30_000;
const context = {
  functionName,
  functionVersion: '$LATEST',
  awsRequestId: `${functionName}-${Date.now()}`,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  callbackWaitsForEmptyEventLoop: true,
};
const result = await handler(event, context);
// Lambda freezes the process after the handler returns; here it exits, whatever keep-alive sockets the SDK holds.
process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify({ node: process.version, result: result ?? null })}\n`, () => process.exit(0));
