import { ApiMapping, DomainName, EndpointType, SecurityPolicy, type IHttpApi, type IStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Construct } from 'constructs';
import type { CustomDomainConfig } from '../stack-config';

export interface ApiCustomDomainProps {
  readonly config: CustomDomainConfig;
  readonly api: IHttpApi;
  /** The stage served at the root of the domain. */
  readonly stage: IStage;
}

/**
 * The API at your own host name: a regional API Gateway domain with your ACM certificate,
 * mapped to the default stage. DNS stays yours: point a CNAME (or a Route 53 alias) for
 * the host name at `target`.
 */
export class ApiCustomDomain extends Construct {
  readonly domainName: DomainName;
  /** The configured host name, e.g. crm.example.com. */
  readonly hostName: string;
  /** The regional host name (d-….execute-api.<region>.amazonaws.com) the DNS record points at. */
  readonly target: string;
  /** The hosted zone of `target`, for a Route 53 alias record instead of a CNAME. */
  readonly targetHostedZoneId: string;
  /** https://<host name>/ */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiCustomDomainProps) {
    super(scope, id);
    const { domainName, certificateArn } = props.config;

    this.domainName = new DomainName(this, 'DomainName', {
      domainName,
      certificate: Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
      endpointType: EndpointType.REGIONAL,
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    new ApiMapping(this, 'Mapping', { api: props.api, domainName: this.domainName, stage: props.stage });

    this.hostName = domainName;
    this.target = this.domainName.regionalDomainName;
    this.targetHostedZoneId = this.domainName.regionalHostedZoneId;
    this.url = `https://${domainName}/`;
  }
}
