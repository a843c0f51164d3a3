import { describe, expect, it } from 'vitest';
import { resourcesOf, synthesize } from './stack-fixture';

const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('custom domain', () => {
  const template = synthesize({ customDomain: { domainName: 'crm.acme.example', certificateArn } });
  const resources = resourcesOf(template);
  const idOf = (type: string) => {
    const ids = Object.keys(resources).filter((id) => resources[id]!.Type === type);
    expect(ids, type).toHaveLength(1);
    return ids[0]!;
  };

  it('is a regional API Gateway domain with the configured certificate and TLS 1.2', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'crm.acme.example',
      DomainNameConfigurations: [{ CertificateArn: certificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
  });

  it('maps the root of the domain to the default stage of the HTTP API, once the stage exists', () => {
    const stageId = idOf('AWS::ApiGatewayV2::Stage');
    template.hasResource('AWS::ApiGatewayV2::ApiMapping', {
      Properties: {
        ApiId: { Ref: idOf('AWS::ApiGatewayV2::Api') },
        DomainName: { Ref: idOf('AWS::ApiGatewayV2::DomainName') },
        Stage: '$default',
      },
      DependsOn: [stageId],
    });
    expect(resources[idOf('AWS::ApiGatewayV2::ApiMapping')]!.Properties).not.toHaveProperty('ApiMappingKey');
  });

  it('outputs the host name to point a CNAME at, its hosted zone for a Route 53 alias, and the URL', () => {
    template.hasOutput('CustomDomainTarget', {
      Value: { 'Fn::GetAtt': [idOf('AWS::ApiGatewayV2::DomainName'), 'RegionalDomainName'] },
    });
    template.hasOutput('CustomDomainHostedZoneId', {
      Value: { 'Fn::GetAtt': [idOf('AWS::ApiGatewayV2::DomainName'), 'RegionalHostedZoneId'] },
    });
    template.hasOutput('CustomDomainUrl', { Value: 'https://crm.acme.example/' });
  });

  it('is absent unless configured', () => {
    const without = synthesize();
    without.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    without.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 0);
    expect(Object.keys(without.toJSON().Outputs).filter((key) => key.startsWith('CustomDomain'))).toEqual([]);
  });
});
