"""Task Tracker API - a simple Flask REST API for managing tasks.

Run with:  python app.py
"""

import os
from datetime import datetime

import requests
from dotenv import load_dotenv
from flask import Flask, jsonify, request
from flask_restful import Api, Resource

from utils import encrypt_note, export_tasks_csv, load_settings

load_dotenv()

app = Flask(__name__)
app.config["SECRET_KEY"] = os.getenv("SECRET_KEY", "dev-secret-key")
api = Api(app)

settings = load_settings()

# In-memory storage for tasks (replace with a database in production!)
tasks = []


class TaskList(Resource):
    """Handle the collection of tasks."""

    def get(self):
        """Return all tasks."""
        return jsonify(tasks)

    def post(self):
        """Create a new task."""
        data = request.get_json()
        task = {
            "id": len(tasks) + 1,
            "title": data.get("title", "Untitled"),
            "note": encrypt_note(data.get("note", ""), settings["note_key"]),
            "created_at": datetime.now().isoformat(),
            "done": False,
        }
        tasks.append(task)
        return task, 201


class Weather(Resource):
    """Show the weather next to the task list, because why not."""

    def get(self, city):
        """Fetch the current weather for a city."""
        try:
            response = requests.get(
                settings["weather_url"], params={"q": city, "appid": os.getenv("WEATHER_KEY")}
            )
            return response.json()
        except Exception as e:
            return {"error": str(e)}, 500


@app.route("/export")
def export():
    """Export all tasks as CSV."""
    return export_tasks_csv(tasks), 200, {"Content-Type": "text/csv"}


api.add_resource(TaskList, "/tasks")
api.add_resource(Weather, "/weather/<string:city>")

if __name__ == "__main__":
    app.run(debug=True, host="0.0.0.0", port=int(os.getenv("PORT", 5000)))
