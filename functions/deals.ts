import { dealModel } from '../domain/records/deal';
import { recordHandler } from './http/record-handler';

export const handler = recordHandler(dealModel);
