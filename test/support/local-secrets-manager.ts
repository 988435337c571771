import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local endpoint speaking Secrets Manager's JSON 1.1 protocol for GetSecretValue, reached by the
 * real SDK client through AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
export class LocalSecretsManager {
  readonly secrets = new Map<string, string>();
  /** SecretIds asked for, in order. */
  readonly calls: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const send = (status: number, payload: unknown, errorType?: string) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        res.end(JSON.stringify(payload));
      };
      if (target !== 'secretsmanager.GetSecretValue') {
        return send(
          400,
          { __type: 'UnknownOperationException', message: target },
          'UnknownOperationException',
        );
      }
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      this.calls.push(String(SecretId));
      const value = SecretId === undefined ? undefined : this.secrets.get(SecretId);
      if (value === undefined) {
        const error = {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        };
        return send(400, error, 'ResourceNotFoundException');
      }
      send(200, {
        ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${SecretId}-AbCdEf`,
        Name: SecretId,
        SecretString: value,
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
