/**
 * `npm run tenants -- <command>`: tenants and API keys (SPEC §8), on the local
 * twin or a deployed stack. Argument parsing and output only; the commands are
 * in tenant-admin.ts, the choice of deployment in target.ts.
 */
import { parseArgs } from 'node:util';
import { connect, resolveTarget, type Target } from './target';
import { TenantAdminError, type TenantListing } from './tenant-admin';

const USAGE = `Usage: npm run tenants -- <command> [options]

Commands:
  create <tenantId> [--name <name>] [--tier <tier>]
                                     new tenant (tier: a metrics dimension, default standard),
                                     its first API key and webhook secret (shown once)
  add-key <tenantId>                  another API key for the tenant (shown once)
  list                                tenants and their API key ids
  disable-key <apiKeyId>              stop an API key
  rotate-secret <tenantId>            new webhook secret; old and new both sign until finish-rotation
  finish-rotation <tenantId>          only the newest webhook secret signs

Target:
  --local            the local twin (default): AWS_ENDPOINT_URL_DYNAMODB + JOBS_TABLE_NAME,
                     else <JOBS_DATA_DIR or .data>/twin.json written by \`npm start\`
  --stack <name>     a deployed stack (default when JOBS_STACK_NAME is set); uses your AWS credentials

Options:
  --json             machine-readable output
  -h, --help         this help`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** Runs one command; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        tier: { type: 'string' },
        stack: { type: 'string' },
        local: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, argument, ...extra] = positionals;
  if (values.help || !command) {
    (values.help ? io.stdout : io.stderr)(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const needsArgument = command !== 'list';
  if (!COMMANDS.has(command) || (needsArgument && !argument) || (!needsArgument && argument) || extra.length > 0) {
    io.stderr(`${COMMANDS.has(command) ? `wrong arguments for ${command}` : `unknown command ${command}`}\n\n${USAGE}\n`);
    return 2;
  }

  let connection;
  try {
    const target = await resolveTarget({ stack: values.stack, local: values.local }, io.env);
    connection = connect(target, io.env);
    const out = (human: string, json: unknown) => io.stdout(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${human}\n`);
    const { admin } = connection;
    switch (command) {
      case 'create': {
        const created = await admin.createTenant({ tenantId: argument, name: values.name, tier: values.tier });
        out(
          [
            `Created tenant ${created.tenantId} (${created.name}) on ${describe(target)}.`,
            `  API key id      ${created.apiKeyId}`,
            `  API key         ${created.apiKey}`,
            `  webhook secret  ${created.webhookSecret}`,
            '',
            'The API key and webhook secret are shown only now: store them safely.',
            ...tryIt(target),
          ].join('\n'),
          created,
        );
        break;
      }
      case 'add-key': {
        const issued = await admin.addKey(argument);
        out(
          [
            `New API key for ${issued.tenantId} on ${describe(target)}.`,
            `  API key id  ${issued.apiKeyId}`,
            `  API key     ${issued.apiKey}`,
            '',
            `Shown only now. Once clients use it, disable the old key: npm run tenants -- disable-key <old key id>`,
          ].join('\n'),
          issued,
        );
        break;
      }
      case 'list': {
        const tenants = await admin.list();
        out(formatList(tenants), tenants);
        break;
      }
      case 'disable-key': {
        const record = await admin.disableKey(argument);
        out(`Disabled API key ${record.apiKeyId} of tenant ${record.tenantId}.`, { apiKeyId: record.apiKeyId, tenantId: record.tenantId, status: record.status });
        break;
      }
      case 'rotate-secret': {
        const rotated = await admin.rotateSecret(argument);
        out(
          [
            `New webhook secret for ${rotated.tenantId}:`,
            `  ${rotated.webhookSecret}`,
            '',
            'Shown only now. Webhooks are signed with both the new and the previous secret until',
            `you run: npm run tenants -- finish-rotation ${rotated.tenantId}`,
          ].join('\n'),
          rotated,
        );
        break;
      }
      case 'finish-rotation': {
        await admin.finishRotation(argument);
        out(`Webhooks of ${argument} are now signed with the newest secret only.`, { tenantId: argument, rotation: 'finished' });
        break;
      }
    }
    return 0;
  } catch (error) {
    io.stderr(`${error instanceof TenantAdminError ? error.message : `failed: ${(error as Error).message}`}\n`);
    return 1;
  } finally {
    connection?.close();
  }
}

const COMMANDS = new Set(['create', 'add-key', 'list', 'disable-key', 'rotate-secret', 'finish-rotation']);

function describe(target: Target): string {
  return target.kind === 'aws' ? `stack ${target.stackName}` : `the local twin (${target.dynamodbUrl})`;
}

function tryIt(target: Target): string[] {
  if (!target.apiUrl) return [];
  const base = target.apiUrl.replace(/\/$/, '');
  return [
    '',
    'Try it (with the key in JOBS_API_KEY):',
    `  curl -s -X POST ${base}/v1/jobs -H "x-api-key: $JOBS_API_KEY" -H 'content-type: application/json' -d '{"type":"echo","payload":{}}'`,
  ];
}

function formatList(tenants: readonly TenantListing[]): string {
  if (tenants.length === 0) return 'No tenants.';
  return tenants
    .map((tenant) =>
      [
        `${tenant.tenantId}  ${tenant.status}  ${tenant.tier}  "${tenant.name}"  since ${tenant.createdAt}${tenant.webhookSecrets > 1 ? '  (webhook secret rotation in progress)' : ''}`,
        ...(tenant.keys.length === 0 ? ['  no API keys'] : tenant.keys.map((key) => `  key ${key.apiKeyId}  ${key.status}  since ${key.createdAt}`)),
      ].join('\n'),
    )
    .join('\n');
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
