import { SwitchyardError } from '@switchyard/core';
import { and, asc, count, eq, ne, sql } from 'drizzle-orm';
import type { Db } from './client';
import { sqlStateOf, sqlStates } from './errors';
import {
  type PlanAssignmentRow,
  type PlanInsert,
  type PlanRow,
  type PlanSubjectType,
  planAssignments,
  plans,
} from './schema';

/** The fields of a plan an admin sets (timestamps are the database's). */
export type PlanFields = Omit<PlanInsert, 'createdAt' | 'updatedAt'>;

export interface PlanAssignmentInput {
  subjectType: PlanSubjectType;
  subjectId: string;
  planId: string;
  source: 'admin' | 'webhook';
  externalReference?: string | null;
}

/** Plans and who is on which (control plane: the prod database). */
export interface PlansRepository {
  list(): Promise<PlanRow[]>;
  find(id: string): Promise<PlanRow | undefined>;
  /** SY_ERR_CONFLICT for an id in use. Making it the default takes that from any other plan. */
  insert(fields: PlanFields): Promise<PlanRow>;
  /** Undefined when no such plan. */
  update(id: string, fields: Partial<Omit<PlanFields, 'id'>>): Promise<PlanRow | undefined>;
  /** SY_ERR_CONFLICT while anyone is assigned to it; false when no such plan. */
  delete(id: string): Promise<boolean>;
  assignments(): Promise<PlanAssignmentRow[]>;
  assignmentsOf(planId: string): Promise<PlanAssignmentRow[]>;
  /** Sets (or replaces) the subject's plan; SY_ERR_NOT_FOUND for a plan that does not exist. */
  assign(input: PlanAssignmentInput): Promise<PlanAssignmentRow>;
  /** Whether the subject had an assignment. */
  unassign(subjectType: PlanSubjectType, subjectId: string): Promise<boolean>;
  countAssignments(planId: string): Promise<number>;
}

export function createPlansRepository(db: Db): PlansRepository {
  /** One default at a time: setting it on one plan clears it on the others in the same transaction. */
  async function clearOtherDefaults(transaction: Pick<Db, 'update'>, id: string) {
    await transaction
      .update(plans)
      .set({ isDefault: false })
      .where(and(eq(plans.isDefault, true), ne(plans.id, id)));
  }
  return {
    list: () => db.select().from(plans).orderBy(asc(plans.createdAt), asc(plans.id)),

    async find(id) {
      const [row] = await db.select().from(plans).where(eq(plans.id, id));
      return row;
    },

    async insert(fields) {
      try {
        return await db.transaction(async (transaction) => {
          if (fields.isDefault) await clearOtherDefaults(transaction, fields.id);
          const [created] = await transaction.insert(plans).values(fields).returning();
          if (!created) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting a plan returned no row');
          return created;
        });
      } catch (error) {
        if (sqlStateOf(error) === sqlStates.uniqueViolation) {
          throw new SwitchyardError('SY_ERR_CONFLICT', `A plan '${fields.id}' exists already`, { cause: error });
        }
        throw error;
      }
    },

    update(id, fields) {
      return db.transaction(async (transaction) => {
        if (fields.isDefault) await clearOtherDefaults(transaction, id);
        const [updated] = await transaction
          .update(plans)
          .set({ ...fields, updatedAt: sql`now()` })
          .where(eq(plans.id, id))
          .returning();
        return updated;
      });
    },

    async delete(id) {
      try {
        const deleted = await db.delete(plans).where(eq(plans.id, id)).returning({ id: plans.id });
        return deleted.length > 0;
      } catch (error) {
        if (sqlStateOf(error) === '23503') {
          throw new SwitchyardError(
            'SY_ERR_CONFLICT',
            `Plan '${id}' is assigned; move its subjects to another plan first`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    },

    assignments: () => db.select().from(planAssignments),

    assignmentsOf: (planId) =>
      db
        .select()
        .from(planAssignments)
        .where(eq(planAssignments.planId, planId))
        .orderBy(asc(planAssignments.assignedAt)),

    async assign(input) {
      const row = {
        subjectType: input.subjectType,
        subjectId: input.subjectId,
        planId: input.planId,
        source: input.source,
        externalReference: input.externalReference ?? null,
      };
      try {
        const [stored] = await db
          .insert(planAssignments)
          .values(row)
          .onConflictDoUpdate({
            target: [planAssignments.subjectType, planAssignments.subjectId],
            set: {
              planId: row.planId,
              source: row.source,
              externalReference: row.externalReference,
              assignedAt: sql`now()`,
            },
          })
          .returning();
        if (!stored) throw new SwitchyardError('SY_ERR_INTERNAL', 'Storing a plan assignment returned no row');
        return stored;
      } catch (error) {
        if (sqlStateOf(error) === '23503') {
          throw new SwitchyardError('SY_ERR_NOT_FOUND', `No plan with id '${input.planId}'`, { cause: error });
        }
        throw error;
      }
    },

    async unassign(subjectType, subjectId) {
      const deleted = await db
        .delete(planAssignments)
        .where(and(eq(planAssignments.subjectType, subjectType), eq(planAssignments.subjectId, subjectId)))
        .returning({ id: planAssignments.subjectId });
      return deleted.length > 0;
    },

    async countAssignments(planId) {
      const [result] = await db
        .select({ value: count() })
        .from(planAssignments)
        .where(eq(planAssignments.planId, planId));
      return result?.value ?? 0;
    },
  };
}
