ALTER TABLE "plan_assignments" DROP CONSTRAINT "plan_assignments_subject_type_check";--> statement-breakpoint
ALTER TABLE "api_key_usage_log" ADD COLUMN "project_id" text;--> statement-breakpoint
CREATE INDEX "api_key_usage_log_project_id_idx" ON "api_key_usage_log" USING btree ("project_id","created_at");--> statement-breakpoint
ALTER TABLE "plan_assignments" ADD CONSTRAINT "plan_assignments_subject_type_check" CHECK ("plan_assignments"."subject_type" IN ('user', 'key', 'project'));