// s3rver in its own Node process: its ListObjectsV2 continuation tokens use DES, which Node 22's
// OpenSSL 3 serves only with --openssl-legacy-provider (local-s3.ts starts it so).
import S3rver from 's3rver';

const { directory, bucket, port } = JSON.parse(process.argv[2] ?? '{}');
const server = new S3rver({
  address: '127.0.0.1',
  port,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
