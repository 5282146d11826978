CREATE TABLE "whatsapp_contacts" (
	"wa_id" text PRIMARY KEY NOT NULL,
	"environment" varchar(4) NOT NULL,
	"profile_name" text,
	"conversation_id" text,
	"opted_out" boolean DEFAULT false NOT NULL,
	"last_inbound_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "whatsapp_contacts_environment_check" CHECK ("whatsapp_contacts"."environment" IN ('prod','dev'))
);
--> statement-breakpoint
CREATE TABLE "whatsapp_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" varchar(4) NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "whatsapp_deliveries_environment_check" CHECK ("whatsapp_deliveries"."environment" IN ('prod','dev'))
);
--> statement-breakpoint
CREATE TABLE "whatsapp_inbound" (
	"wamid" text PRIMARY KEY NOT NULL,
	"environment" varchar(4) NOT NULL,
	"sender" text NOT NULL,
	"phone_number_id" text NOT NULL,
	"kind" text NOT NULL,
	"text" text,
	"message" jsonb NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"handled_at" timestamp with time zone,
	"outcome" text,
	CONSTRAINT "whatsapp_inbound_environment_check" CHECK ("whatsapp_inbound"."environment" IN ('prod','dev'))
);
--> statement-breakpoint
CREATE TABLE "whatsapp_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" varchar(4) NOT NULL,
	"source" text NOT NULL,
	"subject" text NOT NULL,
	"api_key_id" text,
	"recipient" text NOT NULL,
	"phone_number_id" text NOT NULL,
	"kind" text NOT NULL,
	"content" jsonb NOT NULL,
	"status" text NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"wamid" text,
	"error_code" text,
	"error_message" text,
	"job_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "whatsapp_messages_environment_check" CHECK ("whatsapp_messages"."environment" IN ('prod','dev'))
);
--> statement-breakpoint
CREATE TABLE "whatsapp_statuses" (
	"wamid" text NOT NULL,
	"status" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recipient" text,
	"error_code" text,
	"error_title" text,
	"error_detail" text,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "whatsapp_statuses_pkey" PRIMARY KEY("wamid","status")
);
--> statement-breakpoint
CREATE INDEX "whatsapp_contacts_updated_idx" ON "whatsapp_contacts" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "whatsapp_deliveries_received_idx" ON "whatsapp_deliveries" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "whatsapp_inbound_sender_idx" ON "whatsapp_inbound" USING btree ("sender","sent_at");--> statement-breakpoint
CREATE INDEX "whatsapp_messages_wamid_idx" ON "whatsapp_messages" USING btree ("wamid");--> statement-breakpoint
CREATE INDEX "whatsapp_messages_subject_idx" ON "whatsapp_messages" USING btree ("subject","created_at");--> statement-breakpoint
CREATE INDEX "whatsapp_messages_recipient_idx" ON "whatsapp_messages" USING btree ("recipient","created_at");