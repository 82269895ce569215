// Every test process talks only to local endpoints; these keep the AWS SDK from
// looking for real credentials or warning about the Node.js version.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_DEV ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Tests fire bursts of requests at one key; the usage-plan throttle has its own test.
process.env.API_RATE_LIMIT_PER_SECOND ??= '100000';
process.env.API_BURST_LIMIT ??= '100000';
