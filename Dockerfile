# The image the pipeline steps run in on Kubeflow and Vertex AI (configs/docker.yaml: parent_image).
# It holds the locked environment only: ZenML uploads the project's code to the artifact store at each
# run and every step downloads it (skip_build), so code changes need no new image.
#   make image IMAGE=<registry>/portable-mlops:0.1.0
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    ZENML_ANALYTICS_OPT_IN=false \
    WHYLOGS_NO_ANALYTICS=True
WORKDIR /app
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-deps -r /tmp/requirements.lock && rm /tmp/requirements.lock
