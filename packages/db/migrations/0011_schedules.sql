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
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_id_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."schedules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "schedule_runs_schedule_idx" ON "schedule_runs" USING btree ("schedule_id","fired_at");--> statement-breakpoint
CREATE INDEX "schedules_due_idx" ON "schedules" USING btree ("paused","next_run_at");