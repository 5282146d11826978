CREATE TABLE "plan_assignments" (
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"plan_id" text NOT NULL,
	"source" text NOT NULL,
	"external_reference" text,
	"assigned_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_assignments_pkey" PRIMARY KEY("subject_type","subject_id"),
	CONSTRAINT "plan_assignments_subject_type_check" CHECK ("plan_assignments"."subject_type" IN ('user', 'key'))
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"models" text[],
	"apps" text[],
	"user_requests_per_minute" integer,
	"key_requests_per_minute" integer,
	"ip_requests_per_minute" integer,
	"budget_period" text DEFAULT 'month' NOT NULL,
	"token_budget" bigint,
	"spend_budget_usd" double precision,
	"soft_limit_percent" integer DEFAULT 80 NOT NULL,
	"images_per_day" integer,
	"audio_minutes_per_day" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plans_budget_period_check" CHECK ("plans"."budget_period" IN ('day', 'month')),
	CONSTRAINT "plans_soft_limit_percent_check" CHECK ("plans"."soft_limit_percent" BETWEEN 1 AND 100)
);
--> statement-breakpoint
ALTER TABLE "api_key_usage_log" ADD COLUMN "user_id" text;--> statement-breakpoint
ALTER TABLE "api_key_usage_log" ADD COLUMN "cost_usd" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "plan_assignments" ADD CONSTRAINT "plan_assignments_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "plan_assignments_plan_id_idx" ON "plan_assignments" USING btree ("plan_id");--> statement-breakpoint
CREATE INDEX "api_key_usage_log_user_id_idx" ON "api_key_usage_log" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "api_key_usage_log_api_key_id_idx" ON "api_key_usage_log" USING btree ("api_key_id","created_at");