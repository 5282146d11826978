CREATE TABLE "apps" (
	"id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"type" text,
	"definition" jsonb,
	"enabled" boolean DEFAULT true NOT NULL,
	"environments" text[],
	"roles" text[],
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "apps_source_check" CHECK ("apps"."source" IN ('admin', 'override'))
);
