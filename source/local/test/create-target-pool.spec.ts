// SPDX-License-Identifier: Apache-2.0
/**
 * `--create-target-pool`: the ImportWorkflow creates the restore target from the backup's configuration
 * item, and the run compares the configuration as well as the users. The comparison itself is checked on
 * two pools that differ, so that a restore that loses a setting cannot pass for parity.
 */
import {
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirectory } from '../../test-support/temp-dirs';
import { startCognitoEmulator } from '../cognito';
import { cognitoClientFor } from '../cognito/testing';
import { LocalEnvironment } from '../aws/environment';
import { compareConfiguration } from '../run/configuration-parity';
import { runLocal } from '../run/local-run';
import { loadSeedFile } from '../run/seed';
import { ROOT } from './support';

jest.setTimeout(60_000);

describe('--create-target-pool', () => {
  it('the example seed is restored into a pool the workflow creates, with configuration parity and the client ids mapped', async () => {
    const environment = await LocalEnvironment.start({ maxReceiveWaitMs: 100 });
    const artifacts = new Map<string, string>();
    try {
      const report = await runLocal({
        root: ROOT,
        seed: loadSeedFile(`${ROOT}/source/local/run/examples/pool-configuration.json`),
        seedSource: 'pool-configuration.json',
        tps: 25,
        maxWaitMs: 50,
        environment,
        stackName: 'create-target-pool',
        createTargetPool: true,
        onArtifact: (name, text) => artifacts.set(name, text),
      });
      expect(report.import).toMatchObject({ status: 'SUCCEEDED' });
      const parity = report.parity as {
        ok: boolean;
        configuration?: { ok: boolean; clientIdsMapped: number; differences: string[] };
      };
      expect(parity.configuration).toMatchObject({ ok: true, clientIdsMapped: 2, differences: [] });
      expect(report.ok).toBe(true);
      const created = JSON.parse(artifacts.get('created-pool.json') ?? '{}') as {
        ClientIds?: Record<string, string>;
        ForTheOperator?: string[];
      };
      expect(Object.keys(created.ClientIds ?? {})).toHaveLength(2);
      expect(created.ForTheOperator?.join('\n')).toMatch(/identity provider Google/);
      const template = artifacts.get('user-pool.template.json') ?? '';
      expect(JSON.parse(template)).toMatchObject({
        Resources: { UserPool: { Type: 'AWS::Cognito::UserPool' } },
      });
      // A template CloudFormation accepts: cfn-lint checks every property against the resource types' schemas.
      const file = join(tempDirectory('created-pool-template'), 'user-pool.template.json');
      writeFileSync(file, template);
      const lint = spawnSync('cfn-lint', [file], { encoding: 'utf8', timeout: 120_000 });
      expect({ status: lint.status, output: `${lint.stdout}${lint.stderr}`.trim() }).toEqual({
        status: 0,
        output: '',
      });
      // The seed's Google secret and the new clients' secrets are nowhere beside the report.
      for (const text of artifacts.values()) expect(text).not.toContain('not-a-real-secret');
      const secrets = [
        ...environment.cognito.store.getPool(report.restoredUserPoolId ?? '')!.clients.values(),
      ]
        .map((client) => client.ClientSecret)
        .filter((secret): secret is string => typeof secret === 'string');
      expect(secrets).toHaveLength(1);
      for (const text of artifacts.values()) for (const secret of secrets) expect(text).not.toContain(secret);
    } finally {
      await environment.stop();
    }
  });

  it('configuration parity names a client setting the restore did not carry', async () => {
    const emulator = await startCognitoEmulator({ throttling: 'off' });
    const client = cognitoClientFor(emulator.endpoint);
    try {
      const pool = async (name: string, validity: number) => {
        const id = (await client.send(new CreateUserPoolCommand({ PoolName: name }))).UserPool?.Id ?? '';
        const created = await client.send(
          new CreateUserPoolClientCommand({
            UserPoolId: id,
            ClientName: 'web',
            AccessTokenValidity: validity,
          }),
        );
        return { id, clientId: created.UserPoolClient?.ClientId ?? '' };
      };
      const source = await pool('source', 60);
      const target = await pool('target', 5);
      const compared = await compareConfiguration(client, source.id, target.id, {
        [source.clientId]: target.clientId,
      });
      expect(compared).toMatchObject({
        ok: false,
        clientIdsMapped: 1,
        differences: ['app client web.AccessTokenValidity differs'],
      });
      const unmapped = await compareConfiguration(client, source.id, target.id, {});
      expect(unmapped.differences).toContain("the restore's client id map does not map app client web");
    } finally {
      client.destroy();
      await emulator.stop();
    }
  });
});
