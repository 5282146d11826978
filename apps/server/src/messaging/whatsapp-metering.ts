import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { planAllowsModel } from '../edge/plan-limits';
import type { UsageInfo } from '../edge/principal';
import type { BudgetTicket } from '../plans/budget-enforcer';
import { projectOfBudgetSubject, type ResolvedPlan } from '../plans/plan-store';
import { recordMeteredUsage } from '../usage/metered-usage';
import type { InboundMessage } from './whatsapp-bot';
import type { WhatsAppWebhookJobDependencies } from './whatsapp-webhook-job';

/** The usage log's route for the bot's model calls (voice notes, answers): they reach Switchyard through the webhook. */
export const whatsappUsageRoute = '/v1/whatsapp/webhook';

/**
 * One metered model call for a WhatsApp sender (`whatsapp:+<number>`, on the plan of anonymous callers),
 * as for an API request: the plan's model list is checked, a budget reservation is taken before `call`
 * runs, and afterwards one usage row carries what `used` gathered (tokens, audio seconds) and its cost,
 * settled against the reservation, whether `call` answered or failed. `what` names the call in the log.
 */
export async function meteredForSender<T>(
  dependencies: WhatsAppWebhookJobDependencies,
  inbound: InboundMessage,
  used: UsageInfo & { model: string },
  signal: AbortSignal,
  what: string,
  call: (context: { subject: string; plan: ResolvedPlan | null }) => Promise<T>,
): Promise<T> {
  const subject = `whatsapp:${inbound.sender}`;
  const plans = dependencies.plans ?? null;
  const resolution = plans?.store.resolve({ kind: 'anonymous', keyId: null, userId: null, subject }) ?? null;
  const plan = resolution?.plan ?? null;
  if (plans && plan?.models && !planAllowsModel(plans, plan.models, used.model)) {
    throw new SwitchyardError(
      'SY_ERR_MODEL_NOT_ALLOWED',
      `The model '${used.model}' is not included in plan '${plan.id}'`,
    );
  }
  const started = Date.now();
  let ticket: BudgetTicket | null = null;
  let status = 200;
  try {
    if (plans && resolution) {
      ticket = await plans.budgets.admit(
        {
          plan: resolution.plan,
          budgetSubject: resolution.budgetSubject,
          environment: inbound.environment,
          userId: null,
        },
        signal,
      );
    }
    return await call({ subject, plan });
  } catch (error) {
    status = isSwitchyardError(error) ? error.status : 500;
    throw error;
  } finally {
    const recorded = recordMeteredUsage(dependencies, {
      environment: inbound.environment,
      apiKeyId: null,
      userId: null,
      projectId: projectOfBudgetSubject(resolution?.budgetSubject),
      clientIp: null,
      subject,
      method: 'POST',
      route: whatsappUsageRoute,
      status,
      latencyMs: Date.now() - started,
      used,
      ticket,
    });
    // The row is queued already; a budget that cannot be settled must not hide the result or its error.
    await recorded.catch((error: unknown) =>
      dependencies.logger.warn({ err: error }, `whatsapp bot: ${what}’s budget could not be settled`),
    );
  }
}
