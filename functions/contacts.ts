import { contactModel } from '../domain/records/contact';
import { recordHandler } from './http/record-handler';

export const handler = recordHandler(contactModel);
