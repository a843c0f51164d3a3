import { companyModel } from '../domain/records/company';
import { recordHandler } from './http/record-handler';

export const handler = recordHandler(companyModel);
