CREATE TABLE "assistants" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"project_id" text,
	"name" text NOT NULL,
	"description" text,
	"instructions" text NOT NULL,
	"model" text,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"apps" text[] DEFAULT ARRAY[]::text[] NOT NULL,
	"files" text[] DEFAULT ARRAY[]::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_presets" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"system_prompt" text,
	"model" text,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conversation_messages" ADD COLUMN "parent_id" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "active_leaf_id" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "system_prompt" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "parameters" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "assistant_id" text;--> statement-breakpoint
CREATE INDEX "assistants_user_idx" ON "assistants" USING btree ("user_id","name");--> statement-breakpoint
CREATE INDEX "assistants_project_idx" ON "assistants" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "chat_presets_user_idx" ON "chat_presets" USING btree ("user_id","name");--> statement-breakpoint
ALTER TABLE "conversation_messages" ADD CONSTRAINT "conversation_messages_parent_id_conversation_messages_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."conversation_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conversation_messages_parent_idx" ON "conversation_messages" USING btree ("parent_id");--> statement-breakpoint
-- Existing chats were one line of messages: each message follows the one before it, and the last is the active leaf.
UPDATE "conversation_messages" AS "m" SET "parent_id" = "ordered"."previous_id"
FROM (
	SELECT "id", LAG("id") OVER (PARTITION BY "conversation_id" ORDER BY "created_at", "id") AS "previous_id"
	FROM "conversation_messages"
) AS "ordered"
WHERE "m"."id" = "ordered"."id" AND "ordered"."previous_id" IS NOT NULL;--> statement-breakpoint
UPDATE "conversations" AS "c" SET "active_leaf_id" = (
	SELECT "m"."id" FROM "conversation_messages" AS "m"
	WHERE "m"."conversation_id" = "c"."id"
	ORDER BY "m"."created_at" DESC, "m"."id" DESC
	LIMIT 1
);
