import { activityModel } from '../domain/records/activity';
import { recordHandler } from './http/record-handler';

export const handler = recordHandler(activityModel);
