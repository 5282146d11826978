CREATE TABLE "event_consumed" (
	"group_name" text NOT NULL,
	"event_id" text NOT NULL,
	"consumed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "event_consumed_pkey" PRIMARY KEY("group_name","event_id")
);
--> statement-breakpoint
CREATE TABLE "event_dead_letters" (
	"id" text PRIMARY KEY NOT NULL,
	"group_name" text NOT NULL,
	"event_id" text NOT NULL,
	"event_name" text NOT NULL,
	"environment" varchar(4) NOT NULL,
	"envelope" jsonb NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" jsonb NOT NULL,
	"dead_at" timestamp with time zone NOT NULL,
	CONSTRAINT "event_dead_letters_environment_check" CHECK ("event_dead_letters"."environment" IN ('prod', 'dev'))
);
--> statement-breakpoint
CREATE TABLE "event_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"group_name" text NOT NULL,
	"event_id" text NOT NULL,
	"event_name" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"run_at" timestamp with time zone NOT NULL,
	"locked_by" text,
	"lock_expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "event_flow_log" (
	"sequence" bigserial PRIMARY KEY NOT NULL,
	"flow_id" text NOT NULL,
	"event_id" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_flows" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" varchar(4) NOT NULL,
	"owner" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"envelope" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_subscriptions" (
	"group_name" text NOT NULL,
	"event_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_subscriptions_pkey" PRIMARY KEY("group_name","event_name")
);
--> statement-breakpoint
CREATE INDEX "event_consumed_consumed_at_idx" ON "event_consumed" USING btree ("consumed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "event_dead_letters_group_event_idx" ON "event_dead_letters" USING btree ("group_name","event_id");--> statement-breakpoint
CREATE INDEX "event_dead_letters_dead_at_idx" ON "event_dead_letters" USING btree ("dead_at");--> statement-breakpoint
CREATE UNIQUE INDEX "event_deliveries_group_event_idx" ON "event_deliveries" USING btree ("group_name","event_id");--> statement-breakpoint
CREATE INDEX "event_deliveries_due_idx" ON "event_deliveries" USING btree ("group_name","event_name","run_at");--> statement-breakpoint
CREATE UNIQUE INDEX "event_flow_log_flow_event_idx" ON "event_flow_log" USING btree ("flow_id","event_id");--> statement-breakpoint
CREATE INDEX "event_outbox_created_at_idx" ON "event_outbox" USING btree ("created_at");