import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * What the Lambda bundles use in place of @aws-sdk/credential-provider-node (an esbuild
 * alias in infra/constructs/crm-function.ts). In Lambda the credentials of the function's
 * role are in its environment, so of the SDK's whole default chain (SSO, INI files,
 * processes, web identity, container and instance metadata, with the STS and SSO clients
 * they need: 96 KB in every bundle) only the environment provider ever runs. Tests and the
 * local runtime do not bundle, and keep the full chain.
 */
export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
