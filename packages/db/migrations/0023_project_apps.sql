ALTER TABLE "apps" ADD COLUMN "project_id" text;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "created_by" text;--> statement-breakpoint
ALTER TABLE "apps" ADD CONSTRAINT "apps_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "apps_project_id_idx" ON "apps" USING btree ("project_id");