import { companyModel } from '../domain/records/company';
import { mergeableRecordHandler } from './http/record-handler';

export const handler = mergeableRecordHandler(companyModel);
