import { App } from 'aws-cdk-lib';
import { CrmStack } from './crm-stack';

const app = new App();

// A `-c stage=…` flag overrides CRM_STAGE for a single command.
const stage: string = app.node.tryGetContext('stage') ?? process.env.CRM_STAGE ?? 'dev';

// No `env`: the template stays account- and region-agnostic, so synth needs no AWS credentials.
new CrmStack(app, `crm-${stage}`, {
  stage,
  description: `Serverless CRM backend (${stage})`,
  tags: { project: 'crm', stage },
});
