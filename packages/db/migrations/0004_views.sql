CREATE TABLE "view_workflows" (
	"view_id" uuid NOT NULL,
	"workflow_id" integer NOT NULL,
	CONSTRAINT "view_workflows_view_id_workflow_id_pk" PRIMARY KEY("view_id","workflow_id")
);
--> statement-breakpoint
CREATE TABLE "views" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project" text NOT NULL,
	"name" text NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "views_project_name_unique" UNIQUE("project","name")
);
--> statement-breakpoint
ALTER TABLE "view_workflows" ADD CONSTRAINT "view_workflows_view_id_views_id_fk" FOREIGN KEY ("view_id") REFERENCES "public"."views"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "view_workflows" ADD CONSTRAINT "view_workflows_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "views" ADD CONSTRAINT "views_project_projects_name_fk" FOREIGN KEY ("project") REFERENCES "public"."projects"("name") ON DELETE cascade ON UPDATE no action;