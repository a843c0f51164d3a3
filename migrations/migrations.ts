import { indexTasksByAssignee } from './0001-index-tasks-by-assignee';
import { shardLists } from './0002-shard-lists';
import { indexEnrollmentsByContact } from './0003-index-enrollments-by-contact';
import { indexOpenDeals } from './0004-index-open-deals';
import { indexRecordsByDate } from './0005-index-records-by-date';
import { indexEmailsByProviderId } from './0006-index-emails-by-provider-id';
import { indexSearchTerms } from './0007-index-search-terms';
import { countReports } from './0008-count-reports';
import { indexListEntries } from './0009-index-list-entries';
import { rankTaskStatus } from './0010-rank-task-status';
import { indexDuplicateCandidates } from './0011-index-duplicate-candidates';
import type { Migration } from './migration';

/** Every data migration, oldest first. Append; never reorder or remove. */
export const migrations: readonly Migration[] = [indexTasksByAssignee, shardLists, indexEnrollmentsByContact, indexOpenDeals, indexRecordsByDate, indexEmailsByProviderId, indexSearchTerms, countReports, indexListEntries, rankTaskStatus, indexDuplicateCandidates];
