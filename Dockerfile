FROM python:3.11-slim

WORKDIR /srv/ledger
RUN useradd --system --uid 10001 ledger
COPY pyproject.toml constraints.txt README.md ./
COPY domain ./domain
COPY application ./application
COPY api ./api
RUN pip install --no-cache-dir -c constraints.txt .

USER ledger
EXPOSE 8000
CMD ["ledger", "serve", "--host", "0.0.0.0", "--port", "8000"]
