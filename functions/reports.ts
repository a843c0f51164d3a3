import { createRuntime } from '../adapters/runtime';
import { activityReport, emailReport, forecastReport, funnelReport, pipelineReport, winRateReport } from '../domain/reports/read-reports';
import { putReportSettings, readReportSettings } from '../domain/reports/report-settings';
import { apiHandler } from './http/api-handler';
import { apiServicesFor } from './http/api-services';
import { reportOperations } from './http/contract/reports';
import { withEtag } from './http/responses';

const runtime = createRuntime();

export const handler = apiHandler(
  reportOperations,
  {
    pipelineReport: async ({ query, actor }) => ({ status: 200, body: await pipelineReport(runtime, query.pipelineId, actor) }),
    forecastReport: async ({ query, actor }) => ({ status: 200, body: await forecastReport(runtime, query, actor) }),
    winRateReport: async ({ query, actor }) => ({ status: 200, body: await winRateReport(runtime, query, actor) }),
    activityReport: async ({ query, actor }) => ({ status: 200, body: await activityReport(runtime, query, actor) }),
    funnelReport: async ({ query, actor }) => ({ status: 200, body: await funnelReport(runtime, query, actor) }),
    emailReport: async ({ query, actor }) => ({ status: 200, body: await emailReport(runtime, query, actor) }),
    getReportSettings: async ({ actor }) => withEtag(200, await readReportSettings(runtime, actor)),
    putReportSettings: async ({ body, actor, ifMatch }) => withEtag(200, await putReportSettings(runtime, body, actor, ifMatch)),
  },
  apiServicesFor(runtime),
);
