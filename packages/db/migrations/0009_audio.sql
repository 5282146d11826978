CREATE TABLE "audio_usage" (
	"environment" varchar(4) DEFAULT 'prod' NOT NULL,
	"subject" text NOT NULL,
	"day" date NOT NULL,
	"seconds" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "audio_usage_pkey" PRIMARY KEY("environment","subject","day"),
	CONSTRAINT "audio_usage_environment_check" CHECK ("audio_usage"."environment" IN ('prod','dev'))
);
--> statement-breakpoint
ALTER TABLE "api_key_usage_log" ADD COLUMN "audio_seconds" double precision;