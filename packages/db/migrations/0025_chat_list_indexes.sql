DROP INDEX "conversations_user_updated_idx";--> statement-breakpoint
DROP INDEX "conversations_project_updated_idx";--> statement-breakpoint
CREATE INDEX "conversations_user_list_idx" ON "conversations" USING btree ("user_id","archived","pinned","updated_at","id");--> statement-breakpoint
CREATE INDEX "conversations_project_list_idx" ON "conversations" USING btree ("project_id","archived","pinned","updated_at","id");
