// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import {
  type CfnTemplate,
  type Json,
  parseTemplate,
  loadTemplate,
  TemplateError,
  TemplateStack,
} from '../deploy/cfn-template';
import { ROOT } from './support';

const pseudo = { region: 'us-east-1', accountId: '000000000000', partition: 'aws', stackName: 'demo' };

const TEMPLATE = `
Parameters:
  Env:
    Type: String
    Default: dev
  Region2:
    Type: String
  Names:
    Type: CommaDelimitedList
    Default: a,b,c
Mappings:
  Solution:
    Config:
      Version: v9
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  IsProd: !Not [!Condition IsDev]
  Both: !And [!Condition IsDev, !Equals [!Ref AWS::Region, us-east-1]]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub 'q-\${Env}'
  ProdOnly:
    Type: AWS::SNS::Topic
    Condition: IsProd
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: pkg/file.handler
      Environment:
        Variables:
          QUEUE: !Ref Queue
          ARN: !GetAtt Queue.Arn
          VERSION: !FindInMap [Solution, Config, Version]
          JOINED: !Join ['-', [!Ref Env, !Select [1, !Ref Names], !Select [0, !Split [',', 'x,y']]]]
          OPTIONAL: !If [IsProd, yes, !Ref AWS::NoValue]
          CHOSEN: !If [Both, both, neither]
          LITERAL: !Sub '\${!NotSubstituted}-\${AWS::AccountId}-\${Region2}'
          VARS: !Sub ['\${A}/\${Role.Arn}', { A: !Ref Env }]
  Role:
    Type: AWS::IAM::Role
    Properties:
      Path: /service-role/
`;

function stack(
  template: CfnTemplate,
  parameters: Record<string, string> = { Region2: 'eu-west-1' },
): TemplateStack {
  return new TemplateStack(template, {
    parameters,
    pseudo,
    randomSuffix: () => 'ABC123',
    provision: async (id, resource) =>
      resource.Type === 'AWS::SQS::Queue'
        ? { ref: `http://127.0.0.1:1/000000000000/${id}`, attributes: { Arn: `arn:${id}` } }
        : undefined,
  });
}

describe('TemplateStack', () => {
  it('evaluates the short-form tags as CloudFormation does', async () => {
    const props = await stack(parseTemplate(TEMPLATE)).properties('Fn');
    expect(props.Environment).toEqual({
      Variables: {
        QUEUE: 'http://127.0.0.1:1/000000000000/Queue',
        ARN: 'arn:Queue',
        VERSION: 'v9',
        JOINED: 'dev-b-x',
        CHOSEN: 'both',
        LITERAL: '${NotSubstituted}-000000000000-eu-west-1',
        VARS: 'dev/arn:aws:iam::000000000000:role/service-role/demo-Role-ABC123',
      },
    });
  });

  it('uses given parameters over defaults and lists only resources whose condition holds', async () => {
    const prod = stack(parseTemplate(TEMPLATE), { Env: 'prod', Region2: 'x' });
    expect(await prod.condition('IsProd')).toBe(true);
    expect(await prod.resourceIds()).toEqual(['Queue', 'ProdOnly', 'Fn', 'Role']);
    expect(
      ((await prod.properties('Fn')).Environment as { Variables: Record<string, Json> }).Variables.OPTIONAL,
    ).toBe('yes');
    const dev = stack(parseTemplate(TEMPLATE));
    expect(await dev.resourceIds()).toEqual(['Queue', 'Fn', 'Role']);
    await expect(dev.resource('ProdOnly')).rejects.toThrow('condition IsProd is false');
  });

  it('rejects a missing parameter, an unknown parameter and an unknown reference', async () => {
    expect(() => stack(parseTemplate(TEMPLATE), {})).toThrow('Parameter Region2 has no value and no Default');
    expect(() => stack(parseTemplate(TEMPLATE), { Region2: 'x', Nope: '1' })).toThrow(
      'Unknown parameter Nope',
    );
    await expect(stack(parseTemplate(TEMPLATE)).resolve({ Ref: 'Missing' })).rejects.toThrow(TemplateError);
  });

  it('generates names of at most 64 characters that keep the random suffix', () => {
    const long = new TemplateStack(parseTemplate('Resources: {}'), {
      pseudo: { ...pseudo, stackName: 'StackSet-a-very-long-stack-set-name-0123456789abcdef-0123456789' },
      randomSuffix: () => 'SUFFIX123456',
    });
    const name = long.generatedName('ImportNewUsersLambdaWithAVeryLongLogicalId');
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name.endsWith('-SUFFIX123456')).toBe(true);
    expect(long.generatedName('Other')).not.toBe(name);
  });

  it('rejects a document that is not a template', () => {
    expect(() => parseTemplate('just: text')).toThrow('no Resources section');
    expect(() => parseTemplate('a: [b')).toThrow('not valid YAML');
  });

  it('resolves both workflow definitions of the real StackSet template into Lambda ARNs of the template', async () => {
    const template = loadTemplate(join(ROOT, 'deployment', 'stack-set-template.yaml'));
    const real = new TemplateStack(template, {
      parameters: {
        PrimaryRegion: 'us-east-1',
        NotificationEmail: 'a@example.com',
        SendAnonymousData: 'No',
        ParentStackName: 'p',
        PermissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/p-StackSetRolesBoundary',
        SolutionInstanceUUID: '0f8fad5b-d9cb-469f-a165-70867728950e',
      },
      pseudo,
      provision: async (id, resource) =>
        resource.Type.startsWith('Custom::')
          ? { ref: id, attributes: new Proxy({}, { get: (_t, key) => `const-${String(key)}` }) }
          : undefined,
    });
    const functionArns = new Set<string>();
    for (const id of await real.resourceIds('AWS::Lambda::Function')) {
      functionArns.add(String((await real.resource(id)).attributes.Arn));
    }
    for (const machine of ['ExportWorkflow', 'ImportWorkflow']) {
      const text = String((await real.properties(machine)).DefinitionString);
      expect(text).not.toMatch(/\$\{/);
      const resources = [...text.matchAll(/"Resource":\s*"([^"]+)"/g)].map((match) => match[1]);
      expect(resources.length).toBeGreaterThan(5);
      for (const resource of resources) expect(functionArns).toContain(resource);
    }
  });
});
