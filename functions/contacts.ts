import { contactModel } from '../domain/records/contact';
import { mergeableRecordHandler } from './http/record-handler';

export const handler = mergeableRecordHandler(contactModel);
