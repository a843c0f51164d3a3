import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CrmStack } from './crm-stack';
import { loadStageConfig, StackConfigError, type StageConfig } from './stack-config';

/** A configuration mistake is the operator's to fix: say what is wrong, without a stack trace. */
function loadStageConfigOrExit(app: App): StageConfig {
  try {
    return loadStageConfig(app.node);
  } catch (error) {
    if (!(error instanceof StackConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const app = new App();
const { stage, config } = loadStageConfigOrExit(app);

// No `env`: the template stays account- and region-agnostic, so synth needs no AWS credentials.
new CrmStack(app, `crm-${stage}`, {
  stage,
  config,
  description: `Serverless CRM backend (${stage})`,
  tags: { project: 'crm', stage },
});

// AWS Solutions checks run on every synth; an unacknowledged error fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
