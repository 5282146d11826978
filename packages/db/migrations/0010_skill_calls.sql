CREATE TABLE "skill_calls" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "skill_calls_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"environment" varchar(4) NOT NULL,
	"api_key_id" text,
	"caller" text NOT NULL,
	"app" text NOT NULL,
	"skill" text NOT NULL,
	"via" text NOT NULL,
	"status" text NOT NULL,
	"error_code" text,
	"duration_ms" double precision NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "skill_calls_environment_check" CHECK ("skill_calls"."environment" IN ('prod', 'dev'))
);
--> statement-breakpoint
CREATE INDEX "skill_calls_created_at_idx" ON "skill_calls" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "skill_calls_app_skill_idx" ON "skill_calls" USING btree ("app","skill","created_at");