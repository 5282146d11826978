CREATE TABLE "api_key_usage_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "api_key_usage_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"environment" varchar(4) NOT NULL,
	"api_key_id" text,
	"client_ip" text,
	"method" text NOT NULL,
	"route" text NOT NULL,
	"model" text,
	"status" integer NOT NULL,
	"latency_ms" double precision NOT NULL,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_key_usage_log_environment_check" CHECK ("api_key_usage_log"."environment" IN ('prod', 'dev'))
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"key_prefix" text NOT NULL,
	"environment" varchar(4) DEFAULT 'prod' NOT NULL,
	"is_admin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash"),
	CONSTRAINT "api_keys_environment_check" CHECK ("api_keys"."environment" IN ('prod', 'dev'))
);
--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" varchar(4) NOT NULL,
	"api_key_id" text,
	"conversation_id" text,
	"role" text NOT NULL,
	"content" text NOT NULL,
	"model" text,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sequence" bigint GENERATED ALWAYS AS IDENTITY (sequence name "chat_messages_sequence_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	CONSTRAINT "chat_messages_environment_check" CHECK ("chat_messages"."environment" IN ('prod', 'dev'))
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"type" text NOT NULL,
	"description" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "api_key_usage_log_environment_idx" ON "api_key_usage_log" USING btree ("environment");--> statement-breakpoint
CREATE INDEX "api_key_usage_log_created_at_idx" ON "api_key_usage_log" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "chat_messages_environment_idx" ON "chat_messages" USING btree ("environment");--> statement-breakpoint
CREATE INDEX "chat_messages_conversation_id_idx" ON "chat_messages" USING btree ("conversation_id","created_at","sequence");