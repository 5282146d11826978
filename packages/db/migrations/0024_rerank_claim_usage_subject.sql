ALTER TABLE "gift_rerank"."rounds" ADD COLUMN "ranking_claimed_by" text;--> statement-breakpoint
ALTER TABLE "gift_rerank"."rounds" ADD COLUMN "ranking_claimed_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_key_usage_log" ADD COLUMN "subject" text;--> statement-breakpoint
CREATE INDEX "api_key_usage_log_subject_idx" ON "api_key_usage_log" USING btree ("subject","created_at");
