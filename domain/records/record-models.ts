import { activityModel } from './activity';
import { companyModel } from './company';
import { contactModel } from './contact';
import { dealModel } from './deal';
import type { RecordModel, RecordType } from './record-model';

export const recordModels: readonly RecordModel[] = [contactModel, companyModel, dealModel, activityModel];

const byType = new Map(recordModels.map((model) => [model.type, model]));

export function modelOf(type: RecordType): RecordModel {
  const model = byType.get(type);
  if (!model) throw new Error(`Unknown record type ${type}`);
  return model;
}
