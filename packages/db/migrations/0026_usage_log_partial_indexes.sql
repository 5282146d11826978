DROP INDEX "api_key_usage_log_user_id_idx";--> statement-breakpoint
DROP INDEX "api_key_usage_log_api_key_id_idx";--> statement-breakpoint
DROP INDEX "api_key_usage_log_project_id_idx";--> statement-breakpoint
DROP INDEX "api_key_usage_log_subject_idx";--> statement-breakpoint
CREATE INDEX "api_key_usage_log_user_id_idx" ON "api_key_usage_log" USING btree ("user_id","created_at") WHERE "api_key_usage_log"."user_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "api_key_usage_log_api_key_id_idx" ON "api_key_usage_log" USING btree ("api_key_id","created_at") WHERE "api_key_usage_log"."api_key_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "api_key_usage_log_project_id_idx" ON "api_key_usage_log" USING btree ("project_id","created_at") WHERE "api_key_usage_log"."project_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "api_key_usage_log_subject_idx" ON "api_key_usage_log" USING btree ("subject","created_at") WHERE "api_key_usage_log"."subject" IS NOT NULL;