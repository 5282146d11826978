CREATE TABLE "audio_recordings" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" varchar(4) DEFAULT 'prod' NOT NULL,
	"subject" text NOT NULL,
	"user_id" text,
	"conversation_id" text,
	"file_id" text,
	"object_key" text NOT NULL,
	"transcript_key" text,
	"mime_type" text NOT NULL,
	"bytes" bigint NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "audio_recordings_environment_check" CHECK ("audio_recordings"."environment" IN ('prod','dev'))
);
--> statement-breakpoint
CREATE INDEX "audio_recordings_subject_idx" ON "audio_recordings" USING btree ("subject","created_at");--> statement-breakpoint
CREATE INDEX "audio_recordings_finished_idx" ON "audio_recordings" USING btree ("finished_at");