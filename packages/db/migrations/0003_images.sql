CREATE TABLE "image_usage" (
	"environment" varchar(4) DEFAULT 'prod' NOT NULL,
	"subject" text NOT NULL,
	"day" date NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "image_usage_pkey" PRIMARY KEY("environment","subject","day"),
	CONSTRAINT "image_usage_environment_check" CHECK ("image_usage"."environment" IN ('prod','dev'))
);
--> statement-breakpoint
CREATE TABLE "images" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" varchar(4) DEFAULT 'prod' NOT NULL,
	"subject" text NOT NULL,
	"api_key_id" text,
	"prompt" text NOT NULL,
	"negative_prompt" text,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"steps" integer,
	"seed" integer,
	"model" text NOT NULL,
	"status" text NOT NULL,
	"job_id" text,
	"object_key" text,
	"mime_type" text,
	"bytes" integer,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "images_environment_check" CHECK ("images"."environment" IN ('prod','dev'))
);
--> statement-breakpoint
CREATE INDEX "images_environment_idx" ON "images" USING btree ("environment");--> statement-breakpoint
CREATE INDEX "images_subject_idx" ON "images" USING btree ("subject","created_at");