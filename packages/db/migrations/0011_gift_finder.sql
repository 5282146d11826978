CREATE SCHEMA "gift_fetch";
--> statement-breakpoint
CREATE SCHEMA "gift_ideas";
--> statement-breakpoint
CREATE SCHEMA "gift_interview";
--> statement-breakpoint
CREATE SCHEMA "gift_profile";
--> statement-breakpoint
CREATE SCHEMA "gift_rerank";
--> statement-breakpoint
CREATE SCHEMA "gift_sessions";
--> statement-breakpoint
CREATE TABLE "gift_fetch"."backoffs" (
	"session_id" text NOT NULL,
	"marketplace" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	CONSTRAINT "backoffs_session_id_marketplace_pk" PRIMARY KEY("session_id","marketplace")
);
--> statement-breakpoint
CREATE TABLE "gift_fetch"."searches" (
	"session_id" text NOT NULL,
	"marketplace" text NOT NULL,
	"idea_id" text NOT NULL,
	"products" jsonb NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	CONSTRAINT "searches_session_id_marketplace_idea_id_pk" PRIMARY KEY("session_id","marketplace","idea_id")
);
--> statement-breakpoint
CREATE TABLE "gift_ideas"."requests" (
	"session_id" text PRIMARY KEY NOT NULL,
	"summary" jsonb,
	"currency" text,
	"locale" text,
	"profile_requested" boolean,
	"profile_interests" jsonb,
	"triggered_by" text,
	"ideas" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gift_interview"."messages" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"role" text NOT NULL,
	"turn" integer NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "messages_session_role_turn_unique" UNIQUE("session_id","role","turn")
);
--> statement-breakpoint
CREATE TABLE "gift_interview"."interviews" (
	"session_id" text PRIMARY KEY NOT NULL,
	"recipient" text,
	"currency" text NOT NULL,
	"locale" text,
	"profile_requested" boolean NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gift_profile"."analyses" (
	"session_id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"interests" jsonb NOT NULL,
	"failures" jsonb NOT NULL,
	"sources" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gift_rerank"."results" (
	"session_id" text NOT NULL,
	"marketplace" text NOT NULL,
	"status" text NOT NULL,
	"message" text,
	"results" jsonb NOT NULL,
	CONSTRAINT "results_session_id_marketplace_pk" PRIMARY KEY("session_id","marketplace")
);
--> statement-breakpoint
CREATE TABLE "gift_rerank"."rounds" (
	"session_id" text PRIMARY KEY NOT NULL,
	"ideas" jsonb,
	"summary" jsonb,
	"profile_interests" jsonb,
	"currency" text,
	"expected" jsonb,
	"triggered_by" text,
	"ranking" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gift_sessions"."ideas" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"position" integer NOT NULL,
	"title" text NOT NULL,
	"reason" text NOT NULL,
	"query" text NOT NULL,
	"price_min" double precision,
	"price_max" double precision
);
--> statement-breakpoint
CREATE TABLE "gift_sessions"."marketplaces" (
	"session_id" text NOT NULL,
	"marketplace" text NOT NULL,
	"status" text NOT NULL,
	"message" text,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "marketplaces_session_id_marketplace_pk" PRIMARY KEY("session_id","marketplace")
);
--> statement-breakpoint
CREATE TABLE "gift_sessions"."messages" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"role" text NOT NULL,
	"turn" integer NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gift_sessions"."products" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"idea_id" text NOT NULL,
	"title" text NOT NULL,
	"price" double precision NOT NULL,
	"currency" text NOT NULL,
	"url" text NOT NULL,
	"image" text,
	"marketplace" text NOT NULL,
	"rating" double precision,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gift_sessions"."stages" (
	"session_id" text NOT NULL,
	"stage" text NOT NULL,
	"status" text NOT NULL,
	"message" text,
	"progress" double precision,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "stages_session_id_stage_pk" PRIMARY KEY("session_id","stage")
);
--> statement-breakpoint
CREATE TABLE "gift_sessions"."usage" (
	"session_id" text NOT NULL,
	"event_id" text NOT NULL,
	"prompt_tokens" integer NOT NULL,
	"completion_tokens" integer NOT NULL,
	"cost" double precision NOT NULL,
	CONSTRAINT "usage_session_id_event_id_pk" PRIMARY KEY("session_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "gift_sessions"."sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"recipient" text,
	"currency" text NOT NULL,
	"locale" text,
	"status" text NOT NULL,
	"question_turn" integer DEFAULT 0 NOT NULL,
	"answered_turn" integer DEFAULT 0 NOT NULL,
	"summary" jsonb,
	"profile_status" text NOT NULL,
	"profile_interests" jsonb NOT NULL,
	"profile_failures" jsonb NOT NULL,
	"ranking" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ideas_session_idx" ON "gift_sessions"."ideas" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "messages_session_idx" ON "gift_sessions"."messages" USING btree ("session_id","turn");--> statement-breakpoint
CREATE INDEX "products_session_idx" ON "gift_sessions"."products" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "sessions_owner_created_idx" ON "gift_sessions"."sessions" USING btree ("owner","created_at");