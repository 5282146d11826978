CREATE TABLE "schedule_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "schedule_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"schedule_id" text NOT NULL,
	"tick_at" timestamp with time zone NOT NULL,
	"manual" boolean DEFAULT false NOT NULL,
	"late_ms" integer DEFAULT 0 NOT NULL,
	"outcome" text NOT NULL,
	"job_id" text,
	"job_status" text,
	"error" jsonb,
	"fired_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "schedule_runs_tick_unique" UNIQUE("schedule_id","tick_at")
);
--> statement-breakpoint
CREATE TABLE "schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" varchar(4) NOT NULL,
	"name" text NOT NULL,
	"origin" text NOT NULL,
	"job_name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"cron" text,
	"timezone" text,
	"interval_ms" bigint,
	"missed_policy" text NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"next_run_at" timestamp with time zone,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "schedules_environment_check" CHECK ("schedules"."environment" IN ('prod', 'dev')),
	CONSTRAINT "schedules_timing_check" CHECK (("schedules"."cron" IS NULL) <> ("schedules"."interval_ms" IS NULL) AND ("schedules"."interval_ms" IS NULL OR "schedules"."interval_ms" > 0))
);
--> statement-breakpoint
CREATE TABLE "saved_search_results" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "saved_search_results_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"search_id" text NOT NULL,
	"run_id" text NOT NULL,
	"normalized_url" text NOT NULL,
	"url" text NOT NULL,
	"title" text NOT NULL,
	"snippet" text NOT NULL,
	"published_at" timestamp with time zone,
	"found_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "saved_search_results_url_unique" UNIQUE("search_id","normalized_url")
);
--> statement-breakpoint
CREATE TABLE "saved_search_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"search_id" text NOT NULL,
	"status" text NOT NULL,
	"total_results" integer DEFAULT 0 NOT NULL,
	"new_results" integer DEFAULT 0 NOT NULL,
	"summary" text,
	"error" jsonb,
	"ran_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "saved_searches" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"query" text NOT NULL,
	"provider" text NOT NULL,
	"language" text,
	"time_range" text,
	"sites" jsonb NOT NULL,
	"channels" jsonb NOT NULL,
	"summarise" boolean DEFAULT false NOT NULL,
	"summary_model" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_id_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."schedules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_search_results" ADD CONSTRAINT "saved_search_results_search_id_saved_searches_id_fk" FOREIGN KEY ("search_id") REFERENCES "public"."saved_searches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_search_runs" ADD CONSTRAINT "saved_search_runs_search_id_saved_searches_id_fk" FOREIGN KEY ("search_id") REFERENCES "public"."saved_searches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_searches" ADD CONSTRAINT "saved_searches_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "schedule_runs_schedule_idx" ON "schedule_runs" USING btree ("schedule_id","fired_at");--> statement-breakpoint
CREATE INDEX "schedules_due_idx" ON "schedules" USING btree ("paused","next_run_at");--> statement-breakpoint
CREATE INDEX "saved_search_results_run_idx" ON "saved_search_results" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "saved_search_runs_search_idx" ON "saved_search_runs" USING btree ("search_id","ran_at");--> statement-breakpoint
CREATE INDEX "saved_searches_user_idx" ON "saved_searches" USING btree ("user_id","created_at");